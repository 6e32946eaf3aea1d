/** How an invitation reaches the invited person. Real email delivery plugs in here. */
export interface InvitationMailer {
  sendInvitation(to: string, clinicName: string, link: string): Promise<void>;
}

/** Sends nothing: notes that an invitation exists. The admin hands the link on from the page. */
export class LogInvitationMailer implements InvitationMailer {
  constructor(private readonly log: { info(message: string): void }) {}

  async sendInvitation(to: string, _clinicName: string, _link: string): Promise<void> {
    // The link is a bearer credential for the account: it goes to the admin's screen only, never to a log line.
    this.log.info(`invitation created for ${to}`);
  }
}
