# attack: an endless loop while the file is being loaded, before q_backward exists
# expect-error: timeout
# limits: timeout_s=2
while True:
    pass


def q_backward(a, b):
    return a
