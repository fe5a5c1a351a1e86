"""Broken port: the learning rate is missing.  Every step is the whole descent
direction, θ += ∂, instead of θ += lr·∂, so after epoch 1 every parameter has
moved 1/lr times as far as it should."""

import article_port

if __name__ == "__main__":
    article_port.main(step=lambda X, y, p, lr: article_port.step(X, y, p, 1.0))
