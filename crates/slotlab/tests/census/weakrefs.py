# ready, keeping "__weakref__": instances are weakly referenced (and the
# base, which has a __weakref__ today, gets __slots__ = () like any base)
import weakref


class Resource:
    pass


class Handle(Resource):
    def __init__(self, n):
        self.n = n


handles = [Handle(i) for i in range(3000)]
refs = [weakref.ref(h) for h in handles]
