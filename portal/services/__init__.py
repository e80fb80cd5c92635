"""Business rules, Flask-free: views and the CLI parse input, call a service, render the result."""
