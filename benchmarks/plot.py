"""scaling.png: import time and memory against the synthetic header's size, one line a tool.
Imports no other module of the suite (matplotlib only when called)."""


def plot(path, scaling, floor):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    tools = []
    for _, tool, _, _ in scaling:
        if tool not in tools:
            tools.append(tool)
    for tool in tools:
        pts = [(n, imp) for n, t, g, imp in scaling
               if t == tool and g.get("status") == "ok" and imp.get("import_ns")]
        if pts:
            line, = ax1.plot([n for n, _ in pts], [imp["import_ns"] / 1e6 for _, imp in pts],
                             "o-", label=tool)
            src = [(n, imp["source_ns"]) for n, imp in pts if imp.get("source_ns")]
            if tool == "lazybind" and src:
                ax1.plot([n for n, _ in src], [v / 1e6 for _, v in src], "o:",
                         color=line.get_color(), label=tool + " (source only)")
        pts = [(n, imp) for n, imp in pts if imp.get("traced") is not None]
        if pts:
            ax2.plot([n for n, _ in pts], [max(imp["traced"], 1) / 1024 for _, imp in pts],
                     "o-", label=tool)
    if floor.get("import_ns"):
        ax1.axhline(floor["import_ns"] / 1e6, color="gray", ls="--", label="empty module")
        if floor.get("source_ns"):
            ax1.axhline(floor["source_ns"] / 1e6, color="gray", ls=":",
                        label="empty module (source only)")
        ax2.axhline(max(floor["traced"], 1) / 1024, color="gray", ls="--", label="empty module")
    for ax, title, unit in ((ax1, "import time (.pyc cached)", "ms"),
                            (ax2, "import memory (tracemalloc)", "KiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("declarations in the header")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Import cost vs header size (synthetic header, one run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
