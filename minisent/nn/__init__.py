"""The network the course builds by hand: attention and the Transformer (03), pooling (04), the encoder wrapper."""
