using System.Linq.Expressions;
using System.Reflection;
using Granary.Client.Calls;
using Granary.Client.Submission;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    private readonly Dictionary<MethodBase, ObjectEntry> _lastEnqueued = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<MethodBase, (string Key, ResourceRequest Request)> _defaultShapes = new();

    /// <summary>Runs a static method on the cluster; captured values become its arguments. Returns at once.</summary>
    public ObjectRef<T> Remote<T>(Expression<Func<T>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: false));

    public ObjectRef<T> Remote<T>(Expression<Func<Task<T>>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: false));

    public ObjectRef<T> Remote<T>(Expression<Func<ValueTask<T>>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: false));

    public ObjectRef Remote(Expression<Action> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: false));

    public ObjectRef Remote(Expression<Func<Task>> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: false));

    public ObjectRef Remote(Expression<Func<ValueTask>> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: false));

    /// <summary>
    /// Like Remote, but calls of the same method run one at a time, in submission order (each starts after
    /// the previous one finished, whether it succeeded or not). Returns at once.
    /// </summary>
    public ObjectRef<T> Enqueue<T>(Expression<Func<T>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: true));

    public ObjectRef<T> Enqueue<T>(Expression<Func<Task<T>>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: true));

    public ObjectRef Enqueue(Expression<Action> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: true));

    public ObjectRef<T> Enqueue<T>(Expression<Func<ValueTask<T>>> call, RemoteOptions? options = null) => new(Submit(call, options, enqueue: true));

    public ObjectRef Enqueue(Expression<Func<Task>> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: true));

    public ObjectRef Enqueue(Expression<Func<ValueTask>> call, RemoteOptions? options = null) => new ObjectRef<object?>(Submit(call, options, enqueue: true));

    /// <summary>Runs the method once per item, in parallel; the refs come back in input order.</summary>
    public IReadOnlyList<ObjectRef<TOut>> Map<TIn, TOut>(IEnumerable<TIn> items, Expression<Func<TIn, TOut>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i }), call, options);

    public IReadOnlyList<ObjectRef<TOut>> Map<TIn, TOut>(IEnumerable<TIn> items, Expression<Func<TIn, Task<TOut>>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i }), call, options);

    /// <summary>Runs the method once per tuple, spreading each tuple over the parameters; refs in input order.</summary>
    public IReadOnlyList<ObjectRef<TOut>> StarMap<T1, T2, TOut>(IEnumerable<(T1, T2)> items, Expression<Func<T1, T2, TOut>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i.Item1, i.Item2 }), call, options);

    public IReadOnlyList<ObjectRef<TOut>> StarMap<T1, T2, TOut>(IEnumerable<(T1, T2)> items, Expression<Func<T1, T2, Task<TOut>>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i.Item1, i.Item2 }), call, options);

    public IReadOnlyList<ObjectRef<TOut>> StarMap<T1, T2, T3, TOut>(IEnumerable<(T1, T2, T3)> items, Expression<Func<T1, T2, T3, TOut>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i.Item1, i.Item2, i.Item3 }), call, options);

    public IReadOnlyList<ObjectRef<TOut>> StarMap<T1, T2, T3, TOut>(IEnumerable<(T1, T2, T3)> items, Expression<Func<T1, T2, T3, Task<TOut>>> call, RemoteOptions? options = null) =>
        MapCore<TOut>(items.Select(i => new object?[] { i.Item1, i.Item2, i.Item3 }), call, options);

    private List<ObjectRef<TOut>> MapCore<TOut>(IEnumerable<object?[]> items, LambdaExpression call, RemoteOptions? options)
    {
        ArgumentNullException.ThrowIfNull(items);
        ThrowIfDisposed();
        options ??= RemoteOptions.Default;
        options.Validate();
        var parsed = CallParser.ParseStatic(call);
        var shape = ShapeFor(options, parsed.Method);
        var refs = new List<ObjectRef<TOut>>();
        foreach (var values in items)
        {
            refs.Add(new ObjectRef<TOut>(SubmitParsed(parsed, values, options, shape, orderAfter: null)));
        }

        return refs;
    }

    private ObjectEntry Submit(LambdaExpression call, RemoteOptions? options, bool enqueue, int returns = 0, StreamLocation? stream = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ThrowIfDisposed();
        options ??= RemoteOptions.Default;
        options.Validate();
        var parsed = CallParser.ParseStatic(call);
        var shape = ShapeFor(options, parsed.Method);
        if (!enqueue)
        {
            return SubmitParsed(parsed, [], options, shape, orderAfter: null, returns, stream);
        }

        lock (_lastEnqueued)
        {
            _lastEnqueued.TryGetValue(parsed.Method, out var previous);
            var entry = SubmitParsed(parsed, [], options, shape, previous);
            _lastEnqueued[parsed.Method] = entry;
            return entry;
        }
    }

    private ObjectEntry SubmitParsed(ParsedCall call, object?[] parameterValues, RemoteOptions options, (string Key, ResourceRequest Request) shape, ObjectEntry? orderAfter, int returns = 0, StreamLocation? stream = null, LaunchRank? launch = null)
    {
        var taskId = NewId("t-");
        // CUDA_VISIBLE_DEVICES belongs to a process, so a task with GPUs runs in a worker process started with
        // exactly its devices, whatever its isolation: every GPU task sees its own GPUs there (Ray's promise).
        var isolated = options.Isolation == Isolation.Process || options.Gpus > 0;
        var spec = new TaskSpec { TaskId = taskId, JobId = JobId, Method = call.Reference, Name = options.Name ?? string.Empty, ProcessIsolation = isolated };
        if (shape.Request.GpuMemory is not null)
        {
            spec.GpuProfileStandIn = GpuJobTypes.StandInFor(call.Method);
        }

        if (_taskObjects is not null && TaskContext.Current is { } parent)
        {
            spec.ParentTaskId = parent.TaskId;
        }

        var dependencies = ArgumentBuilder.Build(call, parameterValues, spec.Args, _objects.Serializer, out var borrowed);
        var (codeReady, version) = _code.Ensure(call.Method);
        spec.ManifestVersion = version;
        var entry = returns == 0 ? new ObjectEntry(taskId, _objects) : new ObjectEntry(taskId, _objects) { Parts = ReturnEntries(taskId, returns) };
        RecordChild(entry);
        spec.NumReturns = returns;
        spec.Streaming = stream is not null;
        spec.Launch = launch;
        var task = new PendingTask(spec, entry, shape.Key, shape.Request, options.MaxRetries, options.RetryExceptions) { Borrowed = borrowed, Stream = stream };
        task.Span = Runtime.Telemetry.GranaryTracing.StartTask(spec);
        Runtime.Telemetry.GranaryMeter.TasksSubmitted.Add(1);
        TaskSubmitter.Track(task);
        if (dependencies is null && orderAfter is null && codeReady.IsCompletedSuccessfully)
        {
            _submitter.Submit(task);
        }
        else
        {
            _ = SubmitWhenReadyAsync(task, call.DisplayName, dependencies, codeReady, orderAfter);
        }

        return entry;
    }

    /// <summary>The resource shape and placement of a task: options first, then the method's or its class's placement attribute.</summary>
    private (string Key, ResourceRequest Request) ShapeFor(RemoteOptions options, MethodBase method)
    {
        if (ReferenceEquals(options, RemoteOptions.Default) && _defaultShapes.TryGetValue(method, out var cached))
        {
            return cached;
        }

        var declared = (method.GetCustomAttribute<PlacementAttribute>() ?? method.DeclaringType?.GetCustomAttribute<PlacementAttribute>())?.Strategy;
        var shape = ResourceShape.For(options, defaultCpus: 1, declared, _options.LocalNodeId, GpuJobTypes.RequestFor(options, method));
        if (ReferenceEquals(options, RemoteOptions.Default) && options.Placement is null)
        {
            _defaultShapes.TryAdd(method, shape);
        }

        return shape;
    }

    private async Task SubmitWhenReadyAsync(PendingTask task, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, ObjectEntry? orderAfter)
    {
        if (!await ArgumentBuilder.WaitAsync(task.Spec, task.Result, name, dependencies, codeReady, orderAfter).ConfigureAwait(false))
        {
            // Its result has failed, which cleared the way to it (ObjectEntry.Producer).
            TaskSubmitter.EndSpan(task, task.Result.ErrorInfo);
            return;
        }

        _submitter.Submit(task);
    }
}
