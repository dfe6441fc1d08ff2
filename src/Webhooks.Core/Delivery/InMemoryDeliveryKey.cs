namespace Webhooks.Core.Delivery;

/// <summary>A delivery id to look up or page from: its number when it has the <c>dlv_</c> shape, its text always.</summary>
internal readonly struct InMemoryDeliveryKey
{
    public InMemoryDeliveryKey(string text)
    {
        Text = text;
        IsNumber = InMemoryDeliveryEntry.TryParseId(text, out var high, out var low);
        High = high;
        Low = low;
    }

    public string Text { get; }

    public bool IsNumber { get; }

    public ulong High { get; }

    public ulong Low { get; }
}
