# ready, keeping "__weakref__": instances are weakly referenced
import weakref


class Handle:
    def __init__(self, n):
        self.n = n


handles = [Handle(i) for i in range(3000)]
refs = [weakref.ref(h) for h in handles]
