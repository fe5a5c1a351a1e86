"""Broken port: the hidden layer's slope is taken of the pre-activation
Z = X·wh + bh instead of the activation H = σ(Z).  derivatives_sigmoid(a) = a(1 − a)
is σ'(z) only when it is given a = σ(z); given z it is a different number, so
the error sent back to the hidden layer is wrong and the output layer's is not."""

import article_port
from article_port import forward, slope


def step(X, y, p, lr):
    Z, H, output = forward(X, p)
    d_out = (y - output) * slope(output)
    d_hid = d_out @ p["wout"].T * slope(Z)  # the mistake: slope(H)
    return {"wh": lr * (X.T @ d_hid), "bh": lr * d_hid.sum(axis=0, keepdims=True),
            "wout": lr * (H.T @ d_out), "bout": lr * d_out.sum(axis=0, keepdims=True)}


if __name__ == "__main__":
    article_port.main(step=step)
