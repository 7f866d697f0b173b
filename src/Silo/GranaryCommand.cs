using Granary.Grains;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>
/// The `granary` command line. `granary start --head` starts a head silo, `granary start --address head:port`
/// a worker that joins it. A bad flag or an unreachable head exits non-zero with a one-line reason.
/// </summary>
internal static class GranaryCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine("usage: granary start --head [--port P] [--cpus N] | granary start --address head:port [--port P] [--cpus N] [--memory 32GB] [--resources name=amount,...]");
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "start" => await StartAsync(ParseStart(args[1..])).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown command '{args[0]}'; try 'granary start --head'"),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine("granary: " + ex.Message);
            return 2;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("granary: " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static SiloOptions ParseStart(string[] args)
    {
        var options = new SiloOptions();
        var head = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--head":
                    head = true;
                    break;
                case "--address":
                    options.HeadAddress = Next();
                    break;
                case "--port":
                    options.Port = int.TryParse(Next(), out var port) ? port : throw new ArgumentException($"--port expects a number, got '{args[i]}'");
                    break;
                case "--host":
                    options.Host = Next();
                    break;
                case "--cpus":
                    options.Cpus = double.TryParse(Next(), System.Globalization.CultureInfo.InvariantCulture, out var cpus) ? cpus : throw new ArgumentException($"--cpus expects a number, got '{args[i]}'");
                    break;
                case "--memory":
                    options.MemoryBytes = ByteSize.Parse(Next());
                    break;
                case "--resources":
                    foreach (var pair in Next().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var parts = pair.Split('=');
                        if (parts.Length != 2 || !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var amount))
                        {
                            throw new ArgumentException($"--resources expects name=amount pairs separated by commas, got '{pair}'");
                        }

                        options.Resources[parts[0]] = amount;
                    }

                    break;
                default:
                    throw new ArgumentException($"unknown flag '{args[i]}' for 'granary start'");
            }
        }

        if (head == (options.HeadAddress is not null))
        {
            throw new ArgumentException("give exactly one of --head (start a head silo) or --address head:port (join one)");
        }

        // The head coordinates; it offers no CPUs to work unless told to.
        if (head && options.Cpus is null)
        {
            options.Cpus = 0;
        }

        options.Validate();
        return options;
    }

    private static async Task<int> StartAsync(SiloOptions options)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning));
        options.LoggerFactory = loggerFactory;
        await using var silo = await SiloHost.StartAsync(options).ConfigureAwait(false);
        Console.WriteLine($"granary: {(silo.IsHead ? "head" : "worker")} silo {silo.NodeId} listening on {silo.Address}");
        var stop = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            // Stop gracefully ourselves instead of letting the runtime tear the process down mid-work.
            context.Cancel = true;
            stop.TrySetResult(context.Signal.ToString());
        }

        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        var signal = await stop.Task.ConfigureAwait(false);
        Console.WriteLine($"granary: {signal} received, stopping silo {silo.NodeId}");
        return 0;
    }
}
