// Entry point of the `srcnn` command-line tool (placeholder).
print("srcnn")
