namespace Webhooks.Abstractions;

/// <summary>
/// The change conflicts with what is stored: a subscription with the same name already exists for
/// the same owner, an id is taken, or a delivery is in a state that refuses the operation.
/// </summary>
public sealed class WebhookConflictException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What conflicts and how to resolve it.</param>
    public WebhookConflictException(string message) : base(message) { }
}
