"""The bundle side: the jobs its notebooks call and `rules export --format bundle`."""
