# blocked: a base's class attribute gives the default a slot would hide
# (found on docutils: Element.tagname is read before __init__ sets it)
class Base:
    kind = None

    def __init__(self):
        if self.kind is None:
            self.kind = "plain"


class Leaf(Base):
    def __init__(self, i):
        super().__init__()
        self.i = i


leaves = [Leaf(i) for i in range(3000)]
