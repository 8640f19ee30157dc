// The end-to-end tests exercise the queue, submit and status types directly (they are internal to the CLI).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Distill.EndToEnd.Tests")]
