"""The regulation reports' names and Russian titles (light: the doors list them without loading the builders)."""

REGULATION_TITLES: dict[str, str] = {
    "itogi_uspevaemosti": "Итоги успеваемости",
    "itogi_poseshchaemosti": "Итоги посещаемости",
    "neuspevaemost_po_disciplinam": "Неуспеваемость по дисциплинам",
    "svodnaya_vedomost_uspevaemosti": "Сводная ведомость успеваемости",
    "svodnaya_vedomost_poseshchaemosti": "Сводная ведомость учёта посещаемости",
    "svodnaya_vedomost_dvizheniya": "Сводная ведомость движения учащихся",
    "uchet_chasov_1": "Учёт часов преподавателя № 1",
    "uchet_chasov_2": "Учёт часов преподавателя № 2",
    "predvaritelnaya_uspevaemost": "Предварительная успеваемость",
    "reiting_uspeshnosti": "Рейтинг успешности",
    "poseshchaemost_po_mesyacam": "Отчёт о посещаемости класса (по месяцам)",
    "napolnyaemost_klassov": "Наполняемость классов",
    "dinamika_dvizheniya": "Динамика движения обучающихся",
    "aktivnost_polzovateley": "Активность пользователей",
}
