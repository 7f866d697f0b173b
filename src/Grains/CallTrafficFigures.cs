namespace Granary.Grains;

/// <summary>The counts of a <see cref="CallTraffic"/> at one moment; subtract two to see what came between.</summary>
internal readonly record struct CallTrafficFigures(long TaskCalls, long TaskBatches, long Tasks, long ActorCallMessages, long ActorBatches, long ActorCalls)
{
    public static CallTrafficFigures operator +(CallTrafficFigures a, CallTrafficFigures b) =>
        new(a.TaskCalls + b.TaskCalls, a.TaskBatches + b.TaskBatches, a.Tasks + b.Tasks, a.ActorCallMessages + b.ActorCallMessages, a.ActorBatches + b.ActorBatches, a.ActorCalls + b.ActorCalls);

    public static CallTrafficFigures operator -(CallTrafficFigures a, CallTrafficFigures b) =>
        new(a.TaskCalls - b.TaskCalls, a.TaskBatches - b.TaskBatches, a.Tasks - b.Tasks, a.ActorCallMessages - b.ActorCallMessages, a.ActorBatches - b.ActorBatches, a.ActorCalls - b.ActorCalls);
}
