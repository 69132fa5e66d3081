# attack: unbounded Python recursion under the default recursion limit
# expect-error: exception
def q_backward(a, b):
    return q_backward(a, b)
