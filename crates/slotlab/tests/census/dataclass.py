# a dataclass: @dataclass(slots=True)
from dataclasses import dataclass


@dataclass
class Event:
    kind: str
    at: int


events = [Event("tick", i) for i in range(3000)]
