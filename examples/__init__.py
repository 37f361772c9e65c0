"""Examples that live outside the router package: read them, copy them, adapt them."""
