namespace Webhooks.Core.Security;

/// <summary>The address a delivery would connect to is not allowed (private network, blocked port).</summary>
public sealed class WebhookTargetBlockedException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which address was refused and why.</param>
    public WebhookTargetBlockedException(string message) : base(message) { }
}
