# raises after building: the census is of what existed, the status is 1
class Item:
    def __init__(self, i):
        self.i = i


items = [Item(i) for i in range(3000)]
raise RuntimeError("boom after building")
