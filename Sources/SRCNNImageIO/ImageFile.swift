// Image files <-> engine planes through GEGL (placeholder until the image I/O lands).
import SRCNN
