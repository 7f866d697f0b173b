using ModelServer;

// One long-lived inference server per node (the Spark + Triton pattern), on an embedded cluster (see ModelServerDemo).
return await ModelServerDemo.RunAsync(Console.Out) ? 0 : 1;
