# blocked: instances grow different attribute sets
class Node:
    def __init__(self, i):
        self.id = i
        if i % 3 == 0:
            self.extra = i


nodes = [Node(i) for i in range(3000)]
