# blocked: a class variable with the name of an instance attribute
class Config:
    retries = 3

    def __init__(self):
        self.retries = 5


configs = [Config() for _ in range(3000)]
