# ready, and the base needs __slots__ = () (a class keeps a __dict__ while any base has one)
class Shape:
    def area(self):
        return 0


class Square(Shape):
    def __init__(self, side):
        self.side = side


squares = [Square(i) for i in range(3000)]
