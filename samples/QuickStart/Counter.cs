namespace QuickStart;

/// <summary>An actor: a class whose instance lives on one node and keeps its state between calls.</summary>
public sealed class Counter(int start)
{
    private int _value = start;

    public int Add(int amount) => _value += amount;

    public int Value() => _value;
}
