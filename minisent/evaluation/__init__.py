"""Measuring: metrics with bootstrap intervals (metrics), the yardsticks (tasks, leaderboard) and semantic search
(nearest, clustering, index); `evaluate` and `search` gather the names the lessons use."""
