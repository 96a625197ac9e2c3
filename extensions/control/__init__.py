"""Extension C: a reward model learned from pairwise preferences, and a policy improved against it (REINFORCE with a KL penalty)."""
