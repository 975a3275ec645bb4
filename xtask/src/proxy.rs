//! `proxy`: a TCP forwarder on 127.0.0.1, put between the server and its storage
//! endpoint so that a fault run can take the storage away (SIGKILL this process)
//! and bring it back (start it again) while the storage keeps its data (moto holds
//! everything in memory and loses it when killed).
//!
//! ```text
//! cargo run --release -p xtask -- proxy --listen 127.0.0.1:5001 --to 127.0.0.1:5000
//! ```

use anyhow::{Context, Result};
use std::net::SocketAddr;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub listen: SocketAddr,
    #[arg(long)]
    pub to: SocketAddr,
}

pub fn run(args: Args) -> Result<()> {
    anyhow::ensure!(args.listen.ip().is_loopback() && args.to.ip().is_loopback(), "loopback addresses only");
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(args.listen).await.with_context(|| args.listen.to_string())?;
        println!("forwarding {} → {}", args.listen, args.to);
        loop {
            let (mut inbound, _) = listener.accept().await?;
            let to = args.to;
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    })
}
