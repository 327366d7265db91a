# blocked: int subclasses take only __slots__ = (); a str subclass can take slots in 3.11
class Money(int):
    def __init__(self, value):
        self.currency = "EUR"


class Label(str):
    def __init__(self, text):
        self.lang = "en"


amounts = [Money(i) for i in range(3000)]
labels = [Label(str(i)) for i in range(3000)]
