using Google.Protobuf.Collections;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Client.Calls;

/// <summary>
/// Fills a call's wire arguments. Known values are serialized now, on the client, so a value that cannot be
/// serialized fails at submission naming its type. ObjectRef arguments become placeholders, filled once the
/// ref is ready with its inline value or its location (the running node pulls it from there). ObjectRefs
/// inside a value (or passed where the method takes an ObjectRef) travel as refs: borrowed for the call,
/// and written with their results once they finish.
/// </summary>
internal static class ArgumentBuilder
{
    public static List<(int Index, ObjectEntry Entry)>? Build(ParsedCall call, object?[] parameterValues, RepeatedField<Argument> target, ValueSerializer serializer) =>
        Build(call, parameterValues, target, serializer, out _);

    /// <summary>
    /// As above; <paramref name="borrowed"/> gets every ObjectRef argument's entry, which the caller keeps
    /// reachable until the call's reply arrives, so the owner does not free a value a running task still reads.
    /// </summary>
    public static List<(int Index, ObjectEntry Entry)>? Build(ParsedCall call, object?[] parameterValues, RepeatedField<Argument> target, ValueSerializer serializer, out List<ObjectEntry>? borrowed)
    {
        borrowed = null;
        List<(int, ObjectEntry)>? dependencies = null;
        for (var i = 0; i < call.Arguments.Length; i++)
        {
            var type = call.ParameterTypes[i];
            if (type == typeof(CancellationToken))
            {
                // Not sent: the node passes the task's own token, which GranaryClient.CancelAsync cancels.
                target.Add(new Argument { Value = new Value() });
                continue;
            }

            ObjectEntry? dependency = call.Arguments[i] switch
            {
                ArgumentSource.Reference reference => reference.Entry,
                ArgumentSource.ParameterReference parameter => (parameterValues[parameter.Index] as ObjectRef
                    ?? throw new ArgumentException($"Item {parameter.Index} for {call.DisplayName} should be an ObjectRef but is null.")).Entry,
                _ => null,
            };
            if (dependency is not null)
            {
                (borrowed ??= []).Add(dependency);
                if (dependency.IsCompleted && dependency.Error is null)
                {
                    target.Add(Resolved(dependency));
                }
                else
                {
                    target.Add(new Argument());
                    (dependencies ??= []).Add((i, dependency));
                }

                continue;
            }

            var value = call.Arguments[i] switch
            {
                ArgumentSource.Known known => known.Value,
                ArgumentSource.Parameter parameter => parameterValues[parameter.Index],
                ArgumentSource.Computed computed => computed.Evaluate(parameterValues),
                _ => throw new InvalidOperationException("unknown argument source"),
            };
            ContainedRefs? contained;
            try
            {
                target.Add(new Argument { Value = serializer.Serialize(value, type, out contained) });
            }
            catch (ValueSerializationException ex)
            {
                throw new ValueSerializationException(ex.ValueType, $"Argument {i + 1} of {call.DisplayName}: {ex.Message}", ex.InnerException);
            }

            if (contained is not null)
            {
                // Refs inside the value are borrowed by the call like top-level ones; unfinished ones hold
                // the call back until their results can be written into the argument.
                (borrowed ??= []).AddRange(contained.All);
                foreach (var pending in contained.Pending ?? [])
                {
                    (dependencies ??= []).Add((i, pending));
                }
            }
        }

        return dependencies;
    }

    /// <summary>Waits for code upload, ordering and ObjectRef arguments; false when the call failed instead (its entry says why).</summary>
    public static async Task<bool> WaitAsync(TaskSpec spec, ObjectEntry result, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, ObjectEntry? orderAfter)
    {
        try
        {
            await codeReady.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var error = new GranaryException($"Shipping the code for {name} to the cluster failed: {ex.Message}", ex);
            result.TrySetError(error, ErrorConverter.FromException(error, string.Empty, name));
            return false;
        }

        if (orderAfter is not null)
        {
            await orderAfter.Completion.ConfigureAwait(false);
        }

        Dictionary<int, List<ObjectEntry>>? nested = null;
        foreach (var (index, dependency) in dependencies ?? [])
        {
            await dependency.Completion.ConfigureAwait(false);
            if (spec.Args[index].KindCase == Argument.KindOneofCase.Value)
            {
                // A ref inside an argument's value: a failure travels inside it, to whoever reads it.
                if (!(nested ??= []).TryGetValue(index, out var finished))
                {
                    nested[index] = finished = [];
                }

                finished.Add(dependency);
                continue;
            }

            if (dependency.Error is not null)
            {
                var cause = dependency.ErrorInfo!;
                var info = new ErrorInfo
                {
                    Kind = ErrorKind.User,
                    Type = cause.Type,
                    Message = $"argument {index + 1} of {name} failed: {cause.Message}",
                    StackTrace = cause.StackTrace,
                    NodeId = cause.NodeId,
                    TaskName = name,
                    Cause = cause,
                };
                result.TrySetError(new RemoteTaskException(info.Type, info.Message, info.StackTrace, info.NodeId, name, dependency.Error), info);
                return false;
            }

            spec.Args[index] = Resolved(dependency);
        }

        foreach (var (index, finished) in nested ?? [])
        {
            spec.Args[index].Value = ContainedRefs.FillPending(spec.Args[index].Value, finished);
        }

        return true;
    }

    private static Argument Resolved(ObjectEntry entry) =>
        entry.Inline is not null ? new Argument { Value = entry.Inline } : new Argument { Location = entry.Location };
}
