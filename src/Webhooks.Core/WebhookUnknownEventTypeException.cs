namespace Webhooks.Core;

/// <summary>An event type is not in the catalog. The message names the type and the known ones.</summary>
public sealed class WebhookUnknownEventTypeException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventType">The unknown name.</param>
    /// <param name="knownEventTypes">The names the catalog knows.</param>
    public WebhookUnknownEventTypeException(string eventType, IEnumerable<string> knownEventTypes)
        : base($"Unknown webhook event type '{eventType}'. Register it with AddEventType(...) or use one of: {FormatKnown(knownEventTypes)}.")
    {
        EventType = eventType;
    }

    /// <summary>The unknown event type name.</summary>
    public string EventType { get; }

    internal static string FormatKnown(IEnumerable<string> known)
    {
        var list = known.ToList();
        return list.Count == 0 ? "(none registered)" : string.Join(", ", list);
    }
}
