# a service that signals itself twice (as `kill -USR1 PID` would): under
# --at signal each SIGUSR1 takes a census snapshot while it runs
import os
import signal


class Job:
    def __init__(self, i):
        self.i = i


jobs = []
for step in range(3):
    jobs.extend(Job(i) for i in range(1000))
    if step < 2:
        os.kill(os.getpid(), signal.SIGUSR1)
print(len(jobs))
