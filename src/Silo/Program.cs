using Granary.Silo;

return await GranaryCommand.RunAsync(args).ConfigureAwait(false);
