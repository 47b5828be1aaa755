"""get_recommendations: what apps call. Imports nothing heavy: it is on the apps' hot path."""
