# attack: grow a list of 10 MB buffers until something gives
# expect-error: memory
# limits: memory_mb=256
def q_backward(a, b):
    hoard = []
    while True:
        hoard.append(bytearray(10**7))
