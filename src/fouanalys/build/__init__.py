"""The build: running chapter notebooks, the cache, HTML/PDF export, the index
page, the Jupyter kernel and lab."""
