using System.Text.Json;

namespace Webhooks.Core.Catalog;

/// <summary>
/// One kind of event the application emits, such as <c>order.created</c>, <c>item-add</c> or
/// <c>task.status.updated</c>. Register it with <c>AddEventType</c> on the webhooks builder.
/// </summary>
public sealed class WebhookEventType
{
    /// <summary>Longest event type name accepted.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Creates an event type.</summary>
    /// <param name="name">
    /// The name receivers see in the payload's <c>type</c>: letters, digits and <c>. _ - :</c>,
    /// at most 128 characters, not starting or ending with a separator.
    /// </param>
    /// <exception cref="ArgumentException">The name is empty or has characters outside that set.</exception>
    public WebhookEventType(string name)
    {
        var error = ValidateName(name);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(name));
        }

        Name = name;
    }

    /// <summary>The event type's name.</summary>
    public string Name { get; }

    /// <summary>What happened, for people choosing what to subscribe to.</summary>
    public string? Description { get; init; }

    /// <summary>The resource or group it belongs to (<c>order</c>, <c>item</c>); a subscription to <c>group.*</c> receives it.</summary>
    public string? Group { get; init; }

    /// <summary>The payload version, when the app versions its payloads (seed 001: <c>V0</c>, <c>V1</c>).</summary>
    public string? Version { get; init; }

    /// <summary>A JSON schema of the payload's <c>data</c>, if known.</summary>
    public JsonElement? Schema { get; init; }

    /// <summary>Still delivered, but new integrations should not rely on it.</summary>
    public bool Deprecated { get; init; }

    /// <summary>
    /// This event type's own retry delays, overriding the app's schedule (a payment event retried for
    /// longer than a cache invalidation); <see langword="null"/> uses the app's. Empty: never retried.
    /// Each delay is between zero and 7 days; at most 50.
    /// </summary>
    public IReadOnlyList<TimeSpan>? RetrySchedule { get; init; }

    /// <summary>The CLR type of the payload's <c>data</c> for typed registrations; <see langword="null"/> for untyped.</summary>
    public Type? PayloadType { get; init; }

    /// <summary>
    /// The entries a subscription may list to receive this event type: its name, <c>*</c>, every
    /// dotted prefix followed by <c>.*</c> (<c>task.*</c>, <c>task.status.*</c>) and <c>group.*</c>.
    /// Stores index subscriptions by these, so finding the subscribers of an event costs the same
    /// however many subscriptions exist.
    /// </summary>
    /// <returns>The patterns, without duplicates.</returns>
    public IReadOnlyList<string> GetSubscriptionPatterns() => _patterns ??= BuildPatterns();

    private IReadOnlyList<string>? _patterns;

    private string[] BuildPatterns()
    {
        var patterns = new List<string> { Name, "*" };
        for (int i = Name.IndexOf('.', StringComparison.Ordinal); i > 0; i = Name.IndexOf('.', i + 1))
        {
            patterns.Add(string.Concat(Name.AsSpan(0, i), ".*"));
        }

        if (!string.IsNullOrEmpty(Group))
        {
            var groupPattern = Group + ".*";
            if (!patterns.Contains(groupPattern))
            {
                patterns.Add(groupPattern);
            }
        }

        return [.. patterns];
    }

    /// <summary>Returns null when the name is valid, else what is wrong with it.</summary>
    internal static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "An event type name is required.";
        }

        if (name.Length > MaxNameLength)
        {
            return $"Event type name '{name[..32]}…' is {name.Length} characters; the limit is {MaxNameLength}.";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':'))
            {
                return $"Event type name '{name}' contains '{c}'; use letters, digits and . _ - : only.";
            }
        }

        if (name[0] is '.' or '-' or ':' || name[^1] is '.' or '-' or ':')
        {
            return $"Event type name '{name}' must start and end with a letter, digit or underscore.";
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// A typed handle to an event type, so <c>PublishAsync(OrderEvents.Created, order)</c> checks
/// the payload's type at compile time. Register it with <c>AddEventType(handle)</c>.
/// </summary>
/// <typeparam name="TPayload">The type of the payload's <c>data</c>.</typeparam>
public sealed class WebhookEvent<TPayload>
{
    /// <summary>Creates the handle.</summary>
    /// <param name="name">The event type name (rules as <see cref="WebhookEventType"/>).</param>
    /// <param name="description">What happened.</param>
    public WebhookEvent(string name, string? description = null)
    {
        var error = WebhookEventType.ValidateName(name);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(name));
        }

        Name = name;
        Description = description;
    }

    /// <summary>The event type name.</summary>
    public string Name { get; }

    /// <summary>What happened.</summary>
    public string? Description { get; }

    /// <summary>The resource or group it belongs to.</summary>
    public string? Group { get; init; }

    /// <summary>The payload version.</summary>
    public string? Version { get; init; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The triggers of a resource registered with <c>AddResource</c>.</summary>
[Flags]
public enum WebhookTriggers
{
    /// <summary>No trigger.</summary>
    None = 0,

    /// <summary><c>{resource}.created</c>: the full created object.</summary>
    Create = 1,

    /// <summary><c>{resource}.updated</c>: the changed fields (and their previous values).</summary>
    Update = 2,

    /// <summary><c>{resource}.deleted</c>: the object as it was before deletion.</summary>
    Delete = 4,

    /// <summary>All three.</summary>
    All = Create | Update | Delete,
}
