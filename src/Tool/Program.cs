using Granary.Silo;

// The tool's entry point is granary.dll's: the tool adds a package, not behaviour.
return await GranaryCommand.RunAsync(args).ConfigureAwait(false);
