# attack: print without end inside q_backward
# expect-error: output_limit
def q_backward(a, b):
    while True:
        print("x" * 99)
