# a service that never ends by itself: it says it is ready (argv[1]), then
# waits; SIGTERM to slotlab interrupts it and its census is still taken
import sys
import time


class Conn:
    def __init__(self, i):
        self.i = i


conns = [Conn(i) for i in range(5000)]
open(sys.argv[1], "w").close()
while True:
    time.sleep(0.02)
