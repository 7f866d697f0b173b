using Granary;
using Granary.SubmitApp;

// Steps, in order, so one build serves every test:
//   lines N      prints "line 1" .. "line N" (and one line to stderr)
//   env NAME     prints "env NAME=VALUE"
//   remote       joins the cluster at $GRANARY_ADDRESS and runs one task
//   pidfile PATH writes this process's id to PATH
//   sleep S      waits S seconds
//   exit C       exits with code C
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "lines":
            var count = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            for (var n = 1; n <= count; n++)
            {
                Console.WriteLine($"line {n}");
            }

            Console.Error.WriteLine("to stderr");
            break;
        case "env":
            var name = args[++i];
            Console.WriteLine($"env {name}={Environment.GetEnvironmentVariable(name)}");
            break;
        case "remote":
            await using (var cluster = await GranaryClient.ConnectAsync(Environment.GetEnvironmentVariable("GRANARY_ADDRESS")!))
            {
                Console.WriteLine("remote: " + await cluster.Remote(() => SubmitJobs.Square(7)));
            }

            break;
        case "pidfile":
            File.WriteAllText(args[++i], Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            break;
        case "sleep":
            await Task.Delay(TimeSpan.FromSeconds(double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture)));
            break;
        case "exit":
            return int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
        default:
            Console.Error.WriteLine($"unknown step '{args[i]}'");
            return 64;
    }
}

return 0;
