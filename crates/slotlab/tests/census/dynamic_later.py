# looks ready at the end, but the program sets a dynamic attribute on the
# way: --verify finds the break, says it, and verifies the rest without it
class Session:
    def __init__(self, i):
        self.id = i


class Packet:
    def __init__(self, n):
        self.n = n


sessions = [Session(i) for i in range(3000)]
packets = [Packet(i) for i in range(3000)]
probe = Session(-1)
probe.debug = True  # fine with a __dict__, AttributeError with __slots__
del probe
print(len(sessions), len(packets))
