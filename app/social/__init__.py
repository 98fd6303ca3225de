"""Social media: pseudonymised posts, their analysis, and the network of their authors."""
