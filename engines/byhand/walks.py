"""How a graph may be walked (see ``graph.Graph.walk_order``): the one list that lesson
files are checked against and the graph view follows. Its own module so that loading
lessons does not load the graph code."""

WALKS = ("forward", "backward", "both")
