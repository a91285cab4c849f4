"""Benchmarks (``make bench``): pantau's collectors side by side with their peers, as ratios."""
