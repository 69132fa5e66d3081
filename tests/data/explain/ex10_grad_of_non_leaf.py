def intermediate_grad(x):
    y = x + 2
    z = y * y * 2
    out = z.mean()
    out.backward()
    y_grad = y.grad.clone()
    print("dout/dy =", y_grad)
    return y, out
