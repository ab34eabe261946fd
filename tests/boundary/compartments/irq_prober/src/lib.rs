//! Compartment `irq_prober`: checks interrupt delivery to the compartment owning UART1's line —
//! the owner is woken, a wait times out, nobody else may wait on or unmask the line. Prints
//! `case | expected | observed | ok` rows.
#![no_std]

use rtos_sys::Error;

use boundary_support::{case, decode, yes};

rtos_sys::imports!();

/// UART1's combined interrupt line, owned by `irq_driver`.
const IRQ: u32 = 43;

#[no_mangle]
pub extern "C" fn irq_prober_main(_arg: usize) {
    // Nobody but the owner: another compartment, and this one.
    case("wait-from-other-compartment", Err(Error::NotPermitted), decode(nosy::try_irq_wait(IRQ)));
    case("ack-from-other-compartment", Err(Error::NotPermitted), decode(nosy::try_irq_ack(IRQ)));
    case("wait-from-prober", Err(Error::NotPermitted), rtos_sys::irq_wait(IRQ, Some(0)).map(|()| 0));
    case("ack-from-prober", Err(Error::NotPermitted), rtos_sys::irq_ack(IRQ).map(|()| 0));
    case("line-nobody-owns", Err(Error::NotPermitted), rtos_sys::irq_ack(44).map(|()| 0));
    // No event yet: a bounded wait in the owner times out after its ticks.
    let waited = decode(irq_driver::wait_briefly(5));
    case("owner-wait-times-out", Ok(1), waited.map(|t| u32::from((5..10).contains(&t))));
    // Each transmitted byte wakes the owner's thread, which handles and re-arms the line.
    case("no-event-before-kick", Ok(0), irq_driver::events());
    for n in 1..=3 {
        case("kick", Ok(0), irq_driver::kick());
        rtos_sys::sleep(2);
        case("owner-woken-once-per-event", Ok(n), irq_driver::events());
    }
    let spurious = irq_driver::spurious().unwrap_or(u32::MAX);
    rtos_sys::println!("wake-ups without a device cause: {spurious}");
    case("spurious-wakeups-bounded", Ok(1), yes(spurious <= 3).map(|_| 1));
    boundary_support::finish("interrupt");
}
