# ready: one attribute set, no conflicts -> __slots__ = ("timestamp", "value")
class Reading:
    """A reading."""

    def __init__(self, t, v):
        self.timestamp = t
        self.value = v


readings = [Reading(i, i * 0.1) for i in range(3000)]
print(sum(r.value for r in readings))
