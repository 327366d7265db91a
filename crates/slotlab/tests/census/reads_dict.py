# blocked: the module reads instances' __dict__
class Row:
    def __init__(self, a, b):
        self.a = a
        self.b = b


def to_dict(row):
    return dict(row.__dict__)


rows = [Row(i, -i) for i in range(3000)]
print(len(to_dict(rows[0])))
