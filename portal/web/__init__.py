"""Server-rendered pages and the pieces every view shares."""
